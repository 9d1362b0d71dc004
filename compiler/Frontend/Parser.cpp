//===- Parser.cpp - recursive-descent parser for DL -----------------------===//
#include "compiler/Frontend/Parser.h"

#include <cstdlib>

using namespace dlc;

bool Parser::expect(Tok kind, const char *context) {
  if (consume(kind))
    return true;
  if (!is(Tok::Error)) // the lexer already explained an invalid token
    diags.error(tok.loc(), llvm::Twine("expected ") + tokenSpelling(kind) +
                               " " + context + ", found " +
                               (is(Tok::Eof) ? std::string("end of file")
                                             : "'" + tok.text.str() + "'"));
  return false;
}

void Parser::skipToTopLevel() {
  while (!is(Tok::Eof) && !is(Tok::KwFn) && !is(Tok::KwParam) &&
         !is(Tok::KwModel))
    advance();
}

Program Parser::parseProgram() {
  Program program;
  while (!is(Tok::Eof) && !diags.atLimit()) {
    if (is(Tok::KwParam) || is(Tok::KwFn)) {
      bool isParam = is(Tok::KwParam);
      declName.clear();
      bool ok = isParam ? parseDecl(program.params, &Parser::parseParam)
                        : parseDecl(program.fns, &Parser::parseFn);
      if (!ok) {
        if (!declName.empty())
          program.brokenNames.push_back(declName);
        skipToTopLevel();
      }
    } else if (is(Tok::Identifier) && tok.text == "train") {
      llvm::SMLoc at = tok.loc();
      advance();
      if (!is(Tok::LBrace)) {
        diags.error(tok.loc(), "expected '{' after 'train'");
        skipToTopLevel();
        continue;
      }
      if (program.train)
        diags.error(at, "a second train block");
      program.train.emplace();
      if (!parseTrainBlock(*program.train, at))
        skipToTopLevel();
    } else if (is(Tok::KwModel)) {
      declName.clear();
      if (!parseDecl(program.models, &Parser::parseModel)) {
        if (!declName.empty())
          program.brokenNames.push_back(declName);
        skipToTopLevel();
      }
    } else {
      if (!is(Tok::Error))
        diags.error(tok.loc(),
                    "expected 'fn', 'param', 'model' or 'train' at top "
                    "level, found '" +
                        tok.text + "'");
      advance();
      skipToTopLevel();
    }
  }
  return program;
}

std::unique_ptr<ParamDecl> Parser::parseParam() {
  auto param = std::make_unique<ParamDecl>();
  param->loc = tok.loc();
  advance(); // 'param'
  param->loc = tok.loc();
  param->name = tok.text.str();
  if (is(Tok::Identifier))
    declName = param->name;
  if (!expect(Tok::Identifier, "after 'param'") ||
      !expect(Tok::Colon, "after the parameter name") ||
      !parseType(param->typeExpr))
    return nullptr;
  if (consume(Tok::Equal)) {
    param->init.loc = tok.loc();
    param->init.name = tok.text.str();
    if (!expect(Tok::Identifier, "naming an initializer"))
      return nullptr;
    if (consume(Tok::LParen)) {
      if (!is(Tok::RParen)) {
        do {
          ExprPtr arg = parseExpr();
          if (!arg)
            return nullptr;
          param->init.argExprs.push_back(std::move(arg));
        } while (consume(Tok::Comma));
      }
      if (!expect(Tok::RParen, "after the initializer arguments"))
        return nullptr;
    }
  }
  if (!expect(Tok::Semicolon, "after the parameter declaration"))
    return nullptr;
  return param;
}

bool Parser::parseType(TypeExpr &type) {
  type.loc = tok.loc();
  type.elem = tok.text.str();
  if (!expect(Tok::Identifier, "for an element type (f32, f64)"))
    return false;
  if (!consume(Tok::LBracket))
    return true;
  do {
    TypeExpr::DimExpr dim;
    dim.loc = tok.loc();
    if (is(Tok::Integer)) {
      dim.size = std::strtoll(tok.text.str().c_str(), nullptr, 10);
      if (tok.text.size() > 12 || dim.size <= 0) {
        diags.error(tok.loc(),
                    "dimension size must be between 1 and 10^12, got " +
                        tok.text);
        return false;
      }
    } else if (is(Tok::Identifier)) {
      dim.symbol = tok.text.str();
    } else {
      if (!is(Tok::Error))
        diags.error(tok.loc(),
                    "expected a dimension (a size or a name), found '" +
                        tok.text + "'");
      return false;
    }
    advance();
    type.dims.push_back(dim);
  } while (consume(Tok::Comma));
  return expect(Tok::RBracket, "to close the shape");
}

std::unique_ptr<FnDecl> Parser::parseFn() {
  auto fn = std::make_unique<FnDecl>();
  advance(); // 'fn'
  fn->loc = tok.loc();
  fn->name = tok.text.str();
  if (is(Tok::Identifier))
    declName = fn->name;
  if (!expect(Tok::Identifier, "after 'fn'") ||
      !expect(Tok::LParen, "to open the argument list"))
    return nullptr;
  if (!is(Tok::RParen)) {
    do {
      ArgDecl arg;
      arg.loc = tok.loc();
      arg.name = tok.text.str();
      if (!expect(Tok::Identifier, "for an argument name") ||
          !expect(Tok::Colon, "after the argument name") ||
          !parseType(arg.typeExpr))
        return nullptr;
      fn->args.push_back(std::move(arg));
    } while (consume(Tok::Comma));
  }
  if (!expect(Tok::RParen, "to close the argument list") ||
      !expect(Tok::Arrow, "before the result type") ||
      !parseType(fn->resultExpr) ||
      !expect(Tok::LBrace, "to open the function body"))
    return nullptr;
  while (!is(Tok::RBrace)) {
    if (is(Tok::Eof)) {
      diags.error(tok.loc(), "expected '}' to close the body of '" + fn->name +
                                 "', found end of file");
      return nullptr;
    }
    if (!parseStmt(fn->body))
      return nullptr;
  }
  fn->endLoc = tok.loc();
  advance(); // '}'
  return fn;
}

bool Parser::parseStmt(std::vector<Stmt> &body) {
  Stmt stmt;
  stmt.loc = tok.loc();
  if (consume(Tok::KwLet)) {
    stmt.kind = Stmt::Kind::Let;
    stmt.nameLoc = tok.loc();
    stmt.name = tok.text.str();
    if (!expect(Tok::Identifier, "after 'let'"))
      return false;
    if (consume(Tok::Colon)) {
      stmt.declared = std::make_unique<TypeExpr>();
      if (!parseType(*stmt.declared))
        return false;
    }
    if (!expect(Tok::Equal, "in a let binding"))
      return false;
  } else if (consume(Tok::KwReturn)) {
    stmt.kind = Stmt::Kind::Return;
  } else {
    if (!is(Tok::Error))
      diags.error(tok.loc(),
                  "expected a statement ('let' or 'return'), found '" +
                      tok.text + "'");
    return false;
  }
  stmt.value = parseExpr();
  if (!stmt.value || !expect(Tok::Semicolon, "after the statement"))
    return false;
  body.push_back(std::move(stmt));
  return true;
}

bool Parser::parseCallArgs(std::vector<ExprPtr> &args,
                           std::vector<KeywordArg> &kwargs) {
  // The '(' is consumed by the caller.
  if (!is(Tok::RParen)) {
    do {
      ExprPtr arg = parseExpr();
      if (!arg)
        return false;
      // `name = value`: the name parses as an expression first.
      if (is(Tok::Equal) && llvm::isa<NameExpr>(arg.get())) {
        advance();
        KeywordArg kw{arg->loc, llvm::cast<NameExpr>(arg.get())->name,
                      parseExpr()};
        if (!kw.value)
          return false;
        kwargs.push_back(std::move(kw));
        continue;
      }
      if (!kwargs.empty()) {
        diags.error(arg->loc, "positional argument after a keyword argument");
        return false;
      }
      args.push_back(std::move(arg));
    } while (consume(Tok::Comma));
  }
  return expect(Tok::RParen, "to close the argument list");
}

std::unique_ptr<ModelDecl> Parser::parseModel() {
  auto model = std::make_unique<ModelDecl>();
  advance(); // 'model'
  model->loc = tok.loc();
  model->name = tok.text.str();
  if (is(Tok::Identifier))
    declName = model->name;
  if (!expect(Tok::Identifier, "after 'model'"))
    return nullptr;
  if (consume(Tok::LParen) && !is(Tok::RParen)) {
    do {
      ModelArg arg;
      arg.loc = tok.loc();
      arg.name = tok.text.str();
      if (!expect(Tok::Identifier, "for a model argument") ||
          !expect(Tok::Colon, "after the model argument's name"))
        return nullptr;
      arg.kind = tok.text.str();
      if (!expect(Tok::Identifier,
                  "for the argument's kind (int, float, bool)"))
        return nullptr;
      if (consume(Tok::Equal) && !(arg.defaultValue = parseExpr()))
        return nullptr;
      model->args.push_back(std::move(arg));
    } while (consume(Tok::Comma));
    if (!expect(Tok::RParen, "to close the model's arguments"))
      return nullptr;
  } else if (is(Tok::RParen)) {
    advance();
  }
  if (!expect(Tok::LBrace, "to open the model's body"))
    return nullptr;
  while (!consume(Tok::RBrace)) {
    if (is(Tok::Eof)) {
      diags.error(tok.loc(), "expected '}' to close model '" + model->name +
                                 "', found end of file");
      return nullptr;
    }
    if (is(Tok::KwParam)) {
      auto param = parseParam();
      if (!param)
        return nullptr;
      model->params.push_back(std::move(param));
    } else if (is(Tok::KwFn)) {
      auto fn = parseFn();
      if (!fn)
        return nullptr;
      model->fns.push_back(std::move(fn));
    } else if (is(Tok::Identifier)) {
      llvm::SMLoc at = tok.loc();
      std::string name = tok.text.str();
      advance();
      if (name == "train" && is(Tok::LBrace)) {
        if (model->train) {
          diags.error(at, "model '" + model->name + "' has two train blocks");
          return nullptr;
        }
        model->train.emplace();
        if (!parseTrainBlock(*model->train, at))
          return nullptr;
      } else if (!parseSubmodule(*model, name, at)) {
        return nullptr;
      }
    } else {
      if (!is(Tok::Error))
        diags.error(tok.loc(), "expected 'param', 'fn' or a submodule "
                               "('name = Layer(...);') in model '" +
                                   model->name + "', found '" + tok.text + "'");
      return nullptr;
    }
  }
  return model;
}

bool Parser::parseTrainBlock(TrainBlock &block, llvm::SMLoc at) {
  block.loc = at;
  advance(); // '{'
  while (!consume(Tok::RBrace)) {
    TrainEntry entry;
    entry.loc = tok.loc();
    entry.key = tok.text.str();
    if (!expect(Tok::Identifier, "naming a training setting") ||
        !expect(Tok::Equal, "after the setting's name"))
      return false;
    entry.value = parseExpr();
    if (!entry.value || !expect(Tok::Semicolon, "after the setting"))
      return false;
    block.entries.push_back(std::move(entry));
  }
  return true;
}

bool Parser::parseSubmodule(ModelDecl &model, const std::string &name,
                            llvm::SMLoc at) {
  SubmoduleDecl sub;
  sub.loc = at;
  sub.name = name;
  if (!expect(Tok::Equal, "after the submodule's name"))
    return false;
  bool isList = consume(Tok::LBracket);
  sub.modelLoc = tok.loc();
  sub.model = tok.text.str();
  if (!expect(Tok::Identifier, "naming a model or layer") ||
      !expect(Tok::LParen, "after the model's name") ||
      !parseCallArgs(sub.args, sub.kwargs))
    return false;
  if (isList) {
    // `for i in range(n)`: 'for', 'in' and 'range' are contextual words.
    auto word = [&](const char *w) {
      if (is(Tok::Identifier) && tok.text == w) {
        advance();
        return true;
      }
      if (!is(Tok::Error))
        diags.error(tok.loc(), std::string("expected '") + w +
                                   "' in a submodule list, found '" +
                                   tok.text.str() + "'");
      return false;
    };
    if (!word("for"))
      return false;
    sub.loopVar = tok.text.str();
    if (!expect(Tok::Identifier, "for the loop variable") || !word("in") ||
        !word("range") || !expect(Tok::LParen, "after 'range'"))
      return false;
    if (!(sub.count = parseExpr()) ||
        !expect(Tok::RParen, "to close 'range'") ||
        !expect(Tok::RBracket, "to close the submodule list"))
      return false;
  }
  if (!expect(Tok::Semicolon, "after the submodule"))
    return false;
  model.submodules.push_back(std::move(sub));
  return true;
}

ExprPtr Parser::checkHeight(ExprPtr e) {
  // Every later walk over the tree (Sema, MLIRGen, the printer) recurses, so
  // a tree as tall as a long chain `x + x + ...` must be refused here.
  if (e && e->height > kMaxHeight) {
    diags.error(e->loc, "expression is too deep (over " +
                            std::to_string(kMaxHeight) +
                            " nested operations); split it with 'let'");
    return nullptr;
  }
  return e;
}

/// Comparisons do not chain (`a < b < c` is an error), as in Rust.
ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseAdditive();
  static const std::pair<Tok, char> ops[] = {
      {Tok::Less, '<'},         {Tok::LessEqual, 'l'},  {Tok::Greater, '>'},
      {Tok::GreaterEqual, 'g'}, {Tok::EqualEqual, 'e'}, {Tok::NotEqual, 'n'}};
  for (auto [kind, op] : ops) {
    if (!lhs || !is(kind))
      continue;
    llvm::SMLoc loc = tok.loc();
    advance();
    ExprPtr rhs = parseAdditive();
    if (!rhs)
      return nullptr;
    lhs = checkHeight(
        std::make_unique<BinaryExpr>(loc, op, std::move(lhs), std::move(rhs)));
    for (auto [again, unused] : ops) {
      (void)unused;
      if (is(again)) {
        diags.error(tok.loc(), "comparisons cannot be chained; use "
                               "parentheses");
        return nullptr;
      }
    }
    return lhs;
  }
  return lhs;
}

ExprPtr Parser::parseAdditive() {
  ExprPtr lhs = parseTerm();
  while (lhs && (is(Tok::Plus) || is(Tok::Minus))) {
    Token op = tok;
    advance();
    ExprPtr rhs = parseTerm();
    if (!rhs)
      return nullptr;
    lhs = checkHeight(std::make_unique<BinaryExpr>(
        op.loc(), op.text[0], std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseTerm() {
  ExprPtr lhs = parseUnary();
  while (lhs && (is(Tok::Star) || is(Tok::Slash) || is(Tok::At))) {
    Token op = tok;
    advance();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = checkHeight(std::make_unique<BinaryExpr>(
        op.loc(), op.text[0], std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  // Deep nesting would exhaust the stack of this recursive-descent parser
  // (and of every later recursive walk); refuse it with a diagnostic.
  if (depth >= kMaxDepth) {
    diags.error(tok.loc(), "expression nested too deeply (limit " +
                               std::to_string(kMaxDepth) + ")");
    return nullptr;
  }
  struct DepthGuard {
    unsigned &d;
    DepthGuard(unsigned &d) : d(d) { ++d; }
    ~DepthGuard() { --d; }
  } guard(depth);
  if (is(Tok::Minus)) {
    llvm::SMLoc loc = tok.loc();
    advance();
    ExprPtr operand = parseUnary();
    if (!operand)
      return nullptr;
    return checkHeight(std::make_unique<NegExpr>(loc, std::move(operand)));
  }
  return parsePrimary();
}

ExprPtr Parser::parsePrimary() {
  llvm::SMLoc loc = tok.loc();
  if (is(Tok::Integer) || is(Tok::Float)) {
    double value = std::strtod(tok.text.str().c_str(), nullptr);
    advance();
    return std::make_unique<NumberExpr>(loc, value);
  }
  if (is(Tok::Identifier)) {
    std::string name = tok.text.str();
    advance();
    if (!consume(Tok::LParen))
      return std::make_unique<NameExpr>(loc, name);
    std::vector<ExprPtr> args;
    std::vector<KeywordArg> kwargs;
    if (!parseCallArgs(args, kwargs))
      return nullptr;
    return checkHeight(std::make_unique<CallExpr>(loc, name, std::move(args),
                                                  std::move(kwargs)));
  }
  if (consume(Tok::LBracket)) {
    std::vector<ExprPtr> elements;
    if (!is(Tok::RBracket)) {
      do {
        ExprPtr e = parseExpr();
        if (!e)
          return nullptr;
        elements.push_back(std::move(e));
      } while (consume(Tok::Comma));
    }
    if (!expect(Tok::RBracket, "to close the list"))
      return nullptr;
    return checkHeight(std::make_unique<ListExpr>(loc, std::move(elements)));
  }
  if (consume(Tok::LParen)) {
    ExprPtr inner = parseExpr();
    if (!inner || !expect(Tok::RParen, "to close the parenthesis"))
      return nullptr;
    return inner;
  }
  if (!is(Tok::Error))
    diags.error(loc, "expected an expression, found " +
                         (is(Tok::Eof) ? std::string("end of file")
                                       : "'" + tok.text.str() + "'"));
  return nullptr;
}
